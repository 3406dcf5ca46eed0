"""The run engine: no views, no templates (design §1).

turns.py starts turns, answers tool calls and marks interrupted runs, callable without a
socket; runs.py is the ActiveRun (stream, coalesce, stop, catch-up); store.py the database
side; specs.py what a pane runs, parsed once; events.py the data the engine publishes.
"""
