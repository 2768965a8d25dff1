"""WebSub push: hubs -> callback server -> the raw topic, beside polling (W3C WebSub Recommendation, docs/websub.md).

Data flows discover.py (hub/self links a poll saw) -> store.py (links, subscriptions) -> lifecycle.py (what to do,
pure) -> subscriber.py (requests to hubs) ... hub pushes -> server.py (verification of intent, signed content) ->
ingest.py (parse, identity and change rules, publish: the poller's own modules).  service.py wires them up.
"""
