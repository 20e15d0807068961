"""The dashboard's pages, one module each, every one a function that adds its routes to the dashboard."""
