"""A real Eve HAL server for halchemy's tests, on 127.0.0.1, with mongomock in place of MongoDB.

    python server.py --port 5001                 # If-Match enforced (412 stale, 428 missing)
    python server.py --port 5002 --no-enforce    # If-Match optional: blind writes allowed

Resources: `customers` (name, counter) and `orders` (customer, total). Item methods GET/PATCH/PUT/DELETE, resource methods
GET/POST. The data lives in memory and is gone when the process stops.
"""

import argparse
import functools
import threading

import mongomock
import mongomock.collection
from eve import Eve
from eve.io.mongo import flask_pymongo
from waitress import serve

# mongomock is not atomic across threads. One lock around every collection operation makes
# Eve's compare-and-swap on `_etag` (update_one filtered by the old etag) honest.
_LOCK = threading.RLock()
for _name in (
    "find", "find_one", "insert_one", "insert_many", "update_one", "update_many",
    "replace_one", "delete_one", "delete_many", "count_documents", "aggregate",
    "find_one_and_update", "find_one_and_replace", "find_one_and_delete", "bulk_write",
):
    _original = getattr(mongomock.collection.Collection, _name)

    def _locked(*args, __original=_original, **kwargs):
        with _LOCK:
            result = __original(*args, **kwargs)
            # Materialize cursors inside the lock.
            if isinstance(result, mongomock.collection.Cursor):
                return iter(list(result))
            return result

    functools.update_wrapper(_locked, _original)
    setattr(mongomock.collection.Collection, _name, _locked)


_STORE = mongomock.MongoClient()


class SharedMongoClient(mongomock.MongoClient):
    """Every client Eve makes sees the same in-memory store."""

    def __new__(cls, *args, **kwargs):
        return _STORE


flask_pymongo.MongoClient = SharedMongoClient


def settings(enforce_if_match):
    return {
        "MONGO_URI": "mongodb://127.0.0.1:27017/halchemy",
        "HATEOAS": True,
        "IF_MATCH": True,
        "ENFORCE_IF_MATCH": enforce_if_match,
        "RESOURCE_METHODS": ["GET", "POST"],
        "ITEM_METHODS": ["GET", "PATCH", "PUT", "DELETE"],
        "PAGINATION_DEFAULT": 25,
        "DOMAIN": {
            "customers": {
                "schema": {
                    "name": {"type": "string"},
                    "counter": {"type": "integer"},
                }
            },
            "orders": {
                "schema": {
                    "customer": {"type": "string"},
                    "total": {"type": "number"},
                }
            },
        },
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--no-enforce", action="store_true", help="do not require If-Match")
    args = parser.parse_args()
    app = Eve(settings=settings(not args.no_enforce))
    print(f"eve listening on http://127.0.0.1:{args.port}/ (enforce if-match: {not args.no_enforce})", flush=True)
    serve(app, host="127.0.0.1", port=args.port, threads=16, _quiet=True)


if __name__ == "__main__":
    main()
