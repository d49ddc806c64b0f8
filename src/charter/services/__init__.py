"""Use-cases. Importing the package registers the search index's flush hook (`search_index`), so every
write through any service keeps the index current in its own transaction."""

from charter.services import search_index as _search_index  # noqa: F401
