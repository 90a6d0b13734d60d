from __future__ import annotations

import pytest

from nlp.parallel import check_workers, default_workers


def test_workers_within_the_cores_are_kept() -> None:
    assert check_workers(1, cores=4) == 1 and check_workers(4, cores=4) == 4
    assert check_workers(1) == 1 and default_workers() >= 1


@pytest.mark.parametrize("workers", [0, -3, 5, 1000])
def test_workers_beyond_the_cores_are_refused_with_the_cap(workers: int) -> None:
    with pytest.raises(ValueError, match=rf"expected between 1 and 4 workers .*got {workers}; pass --workers 4"):
        check_workers(workers, cores=4)


def test_the_default_cap_is_this_machines_cores() -> None:
    with pytest.raises(ValueError, match=f"between 1 and {default_workers()} workers"):
        check_workers(default_workers() + 1)
