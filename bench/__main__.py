import asyncio

from bench import relay

if __name__ == "__main__":
    asyncio.run(relay.main())
