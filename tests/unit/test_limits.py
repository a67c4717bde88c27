from rag.limits import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_31st_question_in_a_minute_is_refused_then_allowed_again() -> None:
    clock = Clock()
    limiter = RateLimiter(30, 60.0, clock)
    for _ in range(30):
        assert limiter.allow("tab-1") is None
        clock.now += 1.0
    wait = limiter.allow("tab-1")
    assert wait is not None and 0 < wait <= 60
    assert limiter.allow("tab-2") is None  # another session is not affected
    clock.now += wait
    assert limiter.allow("tab-1") is None


def test_refused_questions_do_not_count() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 60.0, clock)
    assert limiter.allow("k") is None and limiter.allow("k") is None
    for _ in range(5):
        assert limiter.allow("k") is not None
    clock.now += 60.0
    assert limiter.allow("k") is None


def test_idle_keys_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(5, 60.0, clock, max_keys=3)
    for i in range(3):
        limiter.allow(f"old-{i}")
    clock.now += 61
    limiter.allow("new-1")
    limiter.allow("new-2")
    assert len(limiter._events) <= 3
