"""Release two answers' pieces in lockstep, so the order and timing of what the asker sees do
not tell which side is faster (and so which model it may be).

The backends run at full speed in their own threads and `put` what they produce; `run`, in the
caller's thread, hands pieces to `emit` by this rule:

1. Rounds: the k-th piece of each side is released, side a then side b, only once both sides
   have produced their k-th piece. Until one side has finished, both sides have had exactly the
   same number of pieces released, and a round's moment is that of the slower side.
2. Tail: once one side has finished, the other side's remaining pieces are released one at a
   time at the pace the pair kept so far (the mean time between rounds), never faster, and never
   before they exist. A side that was held back by a slower partner therefore does not speed up
   when the partner stops, which would show it was the faster one.

The answers' real timings are measured by the backends (GenerationStats), not here; they are
stored with the battle and shown only once it is voted on (speed.py).
"""

import threading
import time
from collections.abc import Callable, Sequence


class Lockstep:
    def __init__(
        self,
        sides: Sequence[str],
        emit: Callable[[str, str], None],
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.sides = tuple(sides)
        self._emit = emit
        self._clock = clock
        self._changed = threading.Condition()
        self._pieces: dict[str, list[str]] = {side: [] for side in self.sides}
        self._finished: dict[str, bool] = {side: False for side in self.sides}
        self._stopped = False
        # Filled in by run(): how many rounds were released and their pace, for tests and logs.
        self.rounds = 0
        self.pace_seconds: float | None = None

    # -- the producers' side (backend threads) -------------------------------------------------

    def put(self, side: str, piece: str) -> None:
        with self._changed:
            self._pieces[side].append(piece)
            self._changed.notify_all()

    def finish(self, side: str) -> None:
        """The side's answer is complete (or it failed: then `stop` too)."""
        with self._changed:
            self._finished[side] = True
            self._changed.notify_all()

    def stop(self) -> None:
        """Release nothing more (a side failed, or the reader went away)."""
        with self._changed:
            self._stopped = True
            self._changed.notify_all()

    @property
    def stopped(self) -> bool:
        return self._stopped

    # -- the releasing side (caller's thread) --------------------------------------------------

    def run(self) -> None:
        """Emit every piece by the rule above; return once both sides are finished and released,
        or as soon as `stop` was called."""
        started = self._clock()
        first = last = None
        while (batch := self._next_round()) is not None:
            for side, piece in batch:
                self._emit(side, piece)
            last = self._clock()
            first = last if first is None else first
            self.rounds += 1
        if self._stopped:
            return
        if self.rounds >= 2:
            self.pace_seconds = (last - first) / (self.rounds - 1)
        else:
            self.pace_seconds = (last - started) if last is not None else 0.0
        self._release_tail(last if last is not None else started)

    def _next_round(self) -> list[tuple[str, str]] | None:
        """The next round's pieces once every side has one, or None when a side has finished
        without one (or on stop)."""
        index = self.rounds

        def decided() -> bool:
            if self._stopped:
                return True
            return all(len(self._pieces[s]) > index or self._finished[s] for s in self.sides)

        with self._changed:
            self._changed.wait_for(decided)
            if self._stopped or not all(len(self._pieces[s]) > index for s in self.sides):
                return None
            return [(side, self._pieces[side][index]) for side in self.sides]

    def _release_tail(self, since: float) -> None:
        pace = self.pace_seconds or 0.0
        due = since + pace
        for side in self.sides:
            index = self.rounds
            while (piece := self._tail_piece(side, index)) is not None:
                wait = due - self._clock()
                if wait > 0:
                    time.sleep(wait)
                if self._stopped:
                    return
                self._emit(side, piece)
                index += 1
                due = max(due, self._clock()) + pace  # never faster than the pace

    def _tail_piece(self, side: str, index: int) -> str | None:
        with self._changed:
            self._changed.wait_for(
                lambda: self._stopped or len(self._pieces[side]) > index or self._finished[side]
            )
            if self._stopped or len(self._pieces[side]) <= index:
                return None
            return self._pieces[side][index]
