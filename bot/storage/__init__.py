"""All database access lives in this package."""
