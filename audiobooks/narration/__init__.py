"""From stored page text to what a narrator reads: furniture (running headers, footers,
page numbers) removed, lines re-flowed into paragraphs across page breaks, chapters and
sentences found. Plain text in, plain data out: nothing here imports Django."""
