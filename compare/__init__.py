"""The compare screen's building blocks: per-pane metrics, the chart across panes, word diffs."""
