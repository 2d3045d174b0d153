"""The one `MetaData` every table registers on, with stable constraint names.

Times are stored as integer milliseconds since the Unix epoch, UTC (`*_ms` columns):
comparisons are exact and identical on SQLite and PostgreSQL, and a timeline query
over millions of rows is an integer range scan.
"""

from sqlalchemy import BigInteger, MetaData

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Milliseconds since the epoch: 64-bit on every backend.
Millis = BigInteger
# Sizes in bytes (a segment, an export, a destroyed run): 64-bit too, named apart so a
# reader of a table does not take a size for a time.
Bytes = BigInteger
