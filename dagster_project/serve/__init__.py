"""`ehelse serve`: the open publication over HTTP, shaped like SSB's PxWebApi 2 (issue 23)."""
