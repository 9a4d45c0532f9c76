"""PropDesk's benchmarks: DynamoDB round trips per route (counted) and cold start (timed).

Run ``python -m bench.run`` from the repository root; see bench/README.md.
"""
