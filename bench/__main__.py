import asyncio

from bench import concurrency, media, panes, relay, stop

if __name__ == "__main__":
    asyncio.run(relay.main())
    asyncio.run(stop.main())
    asyncio.run(panes.main())
    asyncio.run(concurrency.main())
    media.main()
