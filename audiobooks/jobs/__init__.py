"""3. Jobs: what an owner does to a book, the background job that reads it, the runner that
starts that job, and the lease that says which process runs it."""
