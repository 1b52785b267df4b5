"""Learn: teaching built on the recorder: the cell playground, diagrams, stories, tours, lessons.

cell_step.py     one LSTM/RNN step of one unit, computed through a real nn.LSTM
diagram.py       the cell as an SVG (playground and recorded units)
memory_story.py  the long-gap story: gradients through the cell vs a vanilla RNN
tours.py         guided tours whose units are picked from the recording
lessons.py       exercises checked against the recording
"""
