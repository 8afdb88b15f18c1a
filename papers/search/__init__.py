"""Search: ranked lexical retrieval (BM25-style, per database), typo-tolerant titles, semantic
neighbours of an offline embedding, fused by reciprocal rank. `papers.selectors.paper_search`
is the one entry point the web pages, the API and search-as-you-type share."""
