"""The Upload page's parts: the file and its layers, the choices and input, the recording."""
