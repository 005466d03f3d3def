"""Storage, one module per concern. Every function takes an open SQLAlchemy Connection (the caller
owns the transaction) and uses portable Core statements only."""
