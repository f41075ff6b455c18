"""HTML pages, one blueprint per feature; they share the domain services with the API."""
