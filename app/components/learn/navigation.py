"""The row every tour shares: Back, "Stop i of n", Next."""

from __future__ import annotations

import streamlit as st

from app import classroom
from app.resources import ModelRef, find_model

TOURS = {  # a tour's name (the link's view=tour-NAME) -> its label; the one list of tours
    "cat": "🐈 The cat sat on the mat.",
    "agreement": "🧩 The cat, which was hungry, sat on the mat.",
    "dates": "📅 3rd of March 2021 (attention)",
    "frames": "🖼️ Moving shapes (ConvLSTM)",
    "ecg": "🫀 ECG anomalies (autoencoder)",
}


def linked_stop(tour: str) -> int:
    """The stop (from 0) a classroom link opens ``tour`` at: its step= when the link's view is
    this tour, else 0."""
    link = classroom.link_of_session()
    return int(link.get("step", 0)) if link.get("view") == f"tour-{tour}" else 0


def tour_position(count: int, key: str, tour: str) -> int:
    """A tour's Back / "Stop i of n" / Next row (every tour has one); returns the index of the
    stop to show. The first visit opens at the classroom link's stop (``linked_stop``); in a
    classroom session the address follows each move (``show_stop``)."""
    stop_key = f"{key}.stop"
    if stop_key not in st.session_state:
        linked = linked_stop(tour)
        if linked >= count:  # said, as Explore says a step past the end of its input
            classroom.link_out_of_range("step", linked, count, count - 1, where="tour")
        st.session_state[stop_key] = min(linked, count - 1)
    index = min(st.session_state[stop_key], count - 1)
    show_stop(tour, index)

    def move(by: int) -> None:
        st.session_state[stop_key] = min(max(0, index + by), count - 1)

    back, where, forward = st.columns([1, 3, 1], vertical_alignment="center")
    back.button("◀ Back", key=f"{key}.back", on_click=move, args=(-1,), disabled=index == 0)
    where.progress((index + 1) / count, text=f"Stop {index + 1} of {count}")
    forward.button(
        "Next ▶", key=f"{key}.next", on_click=move, args=(1,), disabled=index == count - 1
    )
    return index


def show_stop(tour: str, index: int) -> None:
    """In a classroom session, the address says this tour and stop (view=tour-NAME, step from
    0 and left out at 0, as the link builder writes it), so a reload reopens the same stop; an
    ordinary session's address stays clean (classroom.show_in_address)."""
    classroom.show_in_address("learn", view=f"tour-{tour}", step=index or None)


def tour_model(model_id: str, kind: str, what: str) -> ModelRef | None:
    """The shipped model a tour reads (``model_id`` "shipped/NAME"; ``kind`` as in
    ModelRef.kind), or None after saying how to build it (``what``: "the shipped autoencoder")."""
    ref = find_model(model_id)
    if ref is None or ref.kind != kind:
        name = model_id.split("/")[-1]
        st.info(
            f"This tour needs {what} {name} (`python -m lstm_viz.pretrained build {name}`).",
            icon="📦",
        )
        return None
    return ref
