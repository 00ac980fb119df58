"""Partnership survival: Kaplan-Meier estimates on right-censored durations.

Partnerships still alive at the horizon are censored, not counted as survivors
forever or dropped. The estimator is scipy's (`stats.ecdf` on `CensoredData`),
not our own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

HORIZONS_MONTHS = (12, 36, 60)


def censored(partnerships: pd.DataFrame) -> stats.CensoredData:
    """Durations of the partnership table: dissolved ones observed, the others censored."""
    durations = partnerships["duration"].to_numpy(dtype=float)
    ended = partnerships["dissolved"].to_numpy(dtype=bool)
    return stats.CensoredData(uncensored=durations[ended], right=durations[~ended])


def kaplan_meier(partnerships: pd.DataFrame):
    """scipy's ECDFResult for the partnership table's `duration` and `dissolved` columns."""
    return stats.ecdf(censored(partnerships))


def survival_at(
    partnerships: pd.DataFrame, horizons: Sequence[int] = HORIZONS_MONTHS
) -> dict[int, float]:
    """Share of partnerships still alive `h` months after formation, for each horizon.

    NaN where no partnership was observed that long while some were still alive (the
    data say nothing there), or none formed at all; 0 once every partnership has ended.
    """
    if partnerships.empty:
        return {h: float("nan") for h in horizons}
    result = kaplan_meier(partnerships)
    longest = partnerships["duration"].max()
    values = result.sf.evaluate(np.asarray(horizons, dtype=float))
    return {
        h: (float(v) if h <= longest or v == 0 else float("nan"))
        for h, v in zip(horizons, values, strict=True)
    }
