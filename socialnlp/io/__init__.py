"""Read: posts and incidents tables, validated against the data contract."""
from socialnlp.io.contract import ContractError, ReadResult, validate_incidents, validate_posts
from socialnlp.io.readers import iter_posts, read_incidents, read_posts, write_table

__all__ = ["read_posts", "read_incidents", "iter_posts", "write_table", "validate_posts", "validate_incidents",
           "ContractError", "ReadResult"]
