import asyncio

from bench import concurrency, relay, stop

if __name__ == "__main__":
    asyncio.run(relay.main())
    asyncio.run(stop.main())
    asyncio.run(concurrency.main())
