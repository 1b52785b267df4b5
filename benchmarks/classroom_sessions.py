"""The students of benchmarks/classroom_load.py: what they type, and how a session talks to
Streamlit over its websocket (ws://127.0.0.1:PORT/_stcore/stream; BackMsg/ForwardMsg protobufs
from streamlit.proto), with the `websockets` asyncio client that Streamlit depends on."""

from __future__ import annotations

import asyncio
import random
import time

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

HOST = "127.0.0.1"
TEXT_LABEL = "Text the model reads"  # the Explore text box's label starts so
SESSION_TIMEOUT_S = 240.0  # one session, all rounds

SENTENCES = [
    "My cat likes to sleep in the sun.",
    "We went to the beach on Saturday.",
    "The train was late again this morning.",
    "I think it will rain tomorrow.",
    "Can you pass me the salt, please?",
    "She reads a book every night before bed.",
    "The quick brown fox jumps over the lazy dog.",
    "Our teacher gave us a lot of homework.",
    "Pizza is better than pasta, obviously.",
    "He plays the guitar in a small band.",
    "The library closes at six o'clock.",
    "It was the best of times, it was the worst of times.",
    "Where did I put my keys?",
    "The river flows slowly through the old town.",
    "I have two brothers and one sister.",
    "Neural networks learn from examples.",
    "Please close the door when you leave.",
    "The museum was full of old paintings.",
    "My favourite colour is green.",
    "We are going to visit our grandparents.",
    "This sentence has exactly seven words.",
    "The soup was too hot to eat.",
    "Mountains are covered in snow in winter.",
    "Do you want to play football after school?",
    "The computer makes a strange noise.",
    "She answered every question correctly.",
    "The birds sing early in the morning.",
    "I forgot my umbrella at home.",
    "An apple a day keeps the doctor away.",
    "The bus stop is next to the bakery.",
    "They built a treehouse in the garden.",
    "Learning to code takes practice.",
    "The moon looks very bright tonight.",
    "He wrote a letter to his friend in Spain.",
    "Our dog barks at the postman.",
    "Chocolate cake is my favourite dessert.",
    "The film starts in ten minutes.",
    "Water boils at one hundred degrees.",
    "I like walking in the park on Sundays.",
    "The shop sells fresh bread and milk.",
    "What time does the match begin?",
    "The children laughed at the funny clown.",
    "It is hard to wake up early in January.",
    "The old bridge was built in 1850.",
    "My phone battery is almost empty.",
    "We planted tomatoes and beans this spring.",
    "The answer is hidden in the numbers.",
    "Long sentences are harder to remember.",
    "The wind blew the leaves across the road.",
    "Everyone clapped when the song ended.",
    "A small boat sailed across the lake.",
    "The coffee machine is broken again.",
    "Tomorrow we will start a new chapter.",
    "Please write your name at the top.",
    "The cat chased a mouse under the sofa.",
    "He runs five kilometres every morning.",
    "The stars were hidden behind the clouds.",
    "I would like a glass of orange juice.",
    "The map shows every street in the city.",
    "Our class is going on a trip to the zoo.",
]


def sentence(session: int, round_: int, rounds: int) -> str:
    """Session ``session``'s sentence in round ``round_``: different for every (session, round)."""
    index = session * rounds + round_
    text = SENTENCES[index % len(SENTENCES)]
    lap = index // len(SENTENCES)
    return text if lap == 0 else f"{text[:-1]}, I said {lap + 1} times."


# ---- one student --------------------------------------------------------------------------------


def rerun(page_hash: str, widgets: list[WidgetState]) -> bytes:
    msg = BackMsg()
    msg.rerun_script.query_string = ""
    msg.rerun_script.page_script_hash = page_hash
    msg.rerun_script.widget_states.widgets.extend(widgets)
    return msg.SerializeToString()


async def run_once(ws, request: bytes, state: dict) -> tuple[float, int]:
    """Send one rerun; wait for its script-finished message. (seconds, plotly charts received)."""
    start = time.perf_counter()
    await ws.send(request)
    charts = 0
    for _ in range(100_000):  # bounded: a page run sends far fewer messages
        msg = ForwardMsg()
        msg.ParseFromString(await ws.recv())
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            state["page_hash"] = msg.new_session.page_script_hash
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            what = element.WhichOneof("type")
            if what == "plotly_chart":
                charts += 1
            elif what == "text_input" and element.text_input.label.startswith(TEXT_LABEL):
                state["text_id"] = element.text_input.id
        elif kind == "script_finished":
            status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
            if status == "FINISHED_SUCCESSFULLY":
                return time.perf_counter() - start, charts
            if status != "FINISHED_EARLY_FOR_RERUN":
                raise RuntimeError(f"the page run ended with {status}")
    raise RuntimeError("no script-finished message")


async def student(
    port: int, number: int, rounds: int, delay: float, think: tuple[float, float], results: dict
) -> None:
    await asyncio.sleep(delay)
    rng = random.Random(number)
    state: dict = {"page_hash": ""}
    async with websockets.connect(
        f"ws://{HOST}:{port}/_stcore/stream",
        subprotocols=["streamlit"],
        max_size=None,
        open_timeout=60,
        ping_interval=None,
    ) as ws:
        opened, charts = await run_once(ws, rerun("", []), state)
        results["open"].append(opened)
        results["last_open"] = max(results.get("last_open", 0.0), time.perf_counter())
        if "text_id" not in state or not charts:
            raise RuntimeError(f"session {number}: no Explore text box or heatmap on first load")
        expected = charts
        for round_ in range(rounds):
            await asyncio.sleep(rng.uniform(*think))  # reading, then typing the sentence
            typed = WidgetState(id=state["text_id"], string_value=sentence(number, round_, rounds))
            seconds, charts = await run_once(ws, rerun(state["page_hash"], [typed]), state)
            if charts < expected:
                raise RuntimeError(f"session {number}: {charts} of {expected} heatmaps")
            results["enter"].append(seconds)
            results["presses"].append((seconds, number, round_, time.perf_counter() - seconds))


async def classroom(
    port: int, sessions: int, rounds: int, stagger_s: float, think=(0.5, 2.0)
) -> dict:
    results: dict = {"open": [], "enter": [], "errors": [], "presses": []}

    async def bounded(number: int) -> None:
        try:
            await asyncio.wait_for(
                student(port, number, rounds, number * stagger_s, think, results),
                SESSION_TIMEOUT_S,
            )
        except Exception as error:  # noqa: BLE001 - counted and shown, never hidden
            results["errors"].append(f"session {number}: {type(error).__name__}: {error}")

    await asyncio.gather(*(bounded(n) for n in range(sessions)))
    return results


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank: p95 of 60 values is the 57th smallest."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil
    return ordered[int(rank) - 1]
