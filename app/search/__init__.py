"""Full-text search over notes: the query language, the index and its one writer."""
