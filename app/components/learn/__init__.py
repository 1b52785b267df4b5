"""The Learn page's parts: the cell playground, the memory story, tours, exercises, the
classroom link builder."""
