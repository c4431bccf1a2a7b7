"""util/parallel.py: a team of forked processes, its exchanges, its failures."""

from __future__ import annotations

import os

import pytest

from hostiso.util.parallel import Team, TeamError, run_team, workers


def test_a_solo_team_runs_in_this_process() -> None:
    assert run_team(1, lambda team: (team.rank, team.size, os.getpid())) == [(0, 1, os.getpid())]


@pytest.mark.parametrize("size", [2, 3])
def test_every_member_gets_everyone_s_values_in_rank_order(size: int) -> None:
    def body(team: Team) -> tuple[int, list[int], list[int], int]:
        got = team.allgather(team.rank * 10)
        return team.rank, got, list(team.share(range(10))), os.getpid()

    found = run_team(size, body)
    assert [f[0] for f in found] == list(range(size))
    assert all(f[1] == [r * 10 for r in range(size)] for f in found)
    assert sorted(i for f in found for i in f[2]) == list(range(10))  # shares cover all, once
    assert len({f[3] for f in found}) == size  # one process each


def test_owner_agrees_with_share() -> None:
    team = Team(1, 3)
    for count in (0, 1, 7, 10):
        for rank in range(3):
            shared = Team(rank, 3).share(range(count))
            assert all(team.owner(i, count) == rank for i in shared)


def test_in_turn_runs_one_member_after_another(tmp_path: os.PathLike[str]) -> None:
    log = os.path.join(tmp_path, "log")

    def body(team: Team) -> None:
        with team.in_turn(), open(log, "a") as fh:
            fh.write(f"{team.rank}\n")

    run_team(3, body)
    with open(log) as fh:
        assert fh.read() == "0\n1\n2\n"


def test_a_failing_child_makes_the_parent_raise_with_its_traceback() -> None:
    def body(team: Team) -> int:
        if team.rank == 1:
            raise ValueError("boom in the child")
        return len(team.allgather(team.rank))

    with pytest.raises(TeamError, match="boom in the child"):
        run_team(2, body)


def test_a_failing_parent_reaps_its_children() -> None:
    def body(team: Team) -> None:
        if team.rank == 0:
            raise KeyError("boom in the parent")
        team.allgather(None)  # the parent never answers: the child leaves on EOF

    with pytest.raises(KeyError):
        run_team(2, body)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # nothing left to reap


def test_workers_depend_on_the_work_and_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert workers(10) == 1  # fewer than MIN_SHARE items per member: alone
    assert workers(100_000) == 4
    assert workers(100_000, 2) == 2
    assert workers(100_000, 0) == 1
