"""The benchmark suite's table: throughput, share of engine speed, start-up rows."""

from custsim.experiments.benchmark_suite import RESEARCH, Row, format_table


def test_the_table_shows_throughput_and_share_of_engine_speed():
    rows = [
        Row("engine", "10,000 x 365", 0.5, 3.65e6, 240),
        Row("research", "a sweep", 10.0, 7.3e7, 900, engine_rate=1.46e7),
        Row("start-up", "custsim --help", 0.25, 0.0, 58),
    ]
    assert rows[0].rate == 7.3e6 and rows[1].rate == 7.3e6
    lines = format_table(rows).splitlines()
    assert lines[0].split() == ["work", "wall", "s", "cust-steps/s", "share", "peak", "MB"]
    assert lines[1].split()[-4:] == ["0.50", "7.3e+06", "-", "240"]
    assert lines[2].split()[-3:] == ["7.3e+06", "50%", "900"]  # 7.3e6 of 1.46e7
    assert lines[3].split()[-4:] == ["0.25", "-", "-", "58"]


def test_every_research_row_counts_its_customer_days():
    # (work, command, customer-days, N): the customer-days are runs x N x days of the command
    for work, args, customer_days, size in RESEARCH:
        assert f"population.size={size}" in args, work
        steps = 365 if "-m" in args else 180
        assert customer_days % (size * steps) == 0, work
