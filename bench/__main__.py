import asyncio

from bench import arena, concurrency, media, panes, relay, scale, stop

if __name__ == "__main__":
    asyncio.run(relay.main())
    asyncio.run(stop.main())
    asyncio.run(panes.main())
    asyncio.run(concurrency.main())
    asyncio.run(scale.main())
    media.main()
    arena.main()
