from __future__ import annotations

import gc
from pathlib import Path

import pandas as pd
import pytest

from nlp.bundle import Bundle
from nlp.parallel import check_workers, default_workers, predict_chunks


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


def _frozen_objects(bundle: Bundle, chunk: pd.DataFrame) -> pd.DataFrame:
    return chunk.assign(frozen=gc.get_freeze_count())


def test_the_bundle_is_kept_out_of_collections_while_chunks_are_predicted_and_released_after(
    bundle_dir: Path, bundle: Bundle
) -> None:
    chunks = [pd.DataFrame({"text": ["a"]}), pd.DataFrame({"text": ["b"]})]
    out = list(predict_chunks(bundle_dir, chunks, _frozen_objects, workers=1, bundle=bundle))
    # frozen while predicting (the bundle among the frozen objects), unfrozen once done
    assert [int(o["frozen"].iloc[0]) > 0 for o in out] == [True, True]
    assert gc.get_freeze_count() == 0
