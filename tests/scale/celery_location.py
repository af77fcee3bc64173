"""The platform's code location with the executor the settings name: what the test's run host and workers load.

`orchestration.core.executors.with_step_executor` over the one Definitions object; with CALCBRIDGE_EXECUTOR=celery
every job's steps become Celery tasks. (orchestration/definitions.py applying it itself makes this module the
same object.)
"""

from orchestration.core.executors import with_step_executor
from orchestration.definitions import defs as platform_defs

defs = with_step_executor(platform_defs)
