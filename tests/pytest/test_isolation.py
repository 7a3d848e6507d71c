"""One test, one state: ``--connect-emulator-scope`` (test by default, module, session) and the
``connect_emulator`` fixture's contract under it (an overridden emulator is reset, never replaced)."""

from __future__ import annotations

import time

import pytest

#: Plugins the projects here do not use, left out of each in-process run for its start-up time.
QUIET: tuple[str, ...] = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:faker")
QUIET += ("-p", "no:recording", "-p", "no:xdist", "-p", "no:randomly")

#: The application's own client and calls, as a new user's code makes them (no fixture of the plugin).
APP = """
import boto3

CONNECT = boto3.client("connect", region_name="us-east-1")


def client():
    return CONNECT


def open_desk():
    connect = client()
    instance = connect.create_instance(
        IdentityManagementType="CONNECT_MANAGED", InstanceAlias="desk",
        InboundCallsEnabled=True, OutboundCallsEnabled=True,
    )["Id"]
    connect.create_email_address(InstanceId=instance, EmailAddress="support@example.com")
    return instance


def aliases():
    return [i["InstanceAlias"] for i in client().list_instances()["InstanceSummaryList"]]
"""

#: The same test in two files: each creates instance ``desk`` and address ``support@example.com``.
DESK_TEST = """
import app


def test_desk():
    assert app.aliases() == []
    instance = app.open_desk()
    found = app.client().search_email_addresses(InstanceId=instance)["EmailAddresses"]
    assert [a["EmailAddress"] for a in found] == ["support@example.com"]
    assert app.aliases() == ["desk"]
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "connect_email", *QUIET, *args)


@pytest.fixture
def desks(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(app=APP, test_one=DESK_TEST, test_two=DESK_TEST)
    return pytester


@pytest.mark.parametrize("order", [("test_one.py", "test_two.py"), ("test_two.py", "test_one.py")])
def test_two_tests_that_make_the_same_resources_pass_serially_in_either_order(
    desks: pytest.Pytester, order: tuple[str, str]
) -> None:
    result = run(desks, *order)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["connect-email: * mode emulator, emulator state per test, *"])


def test_a_fresh_test_sees_no_instance_and_the_plugins_instance_only_when_it_asks(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        app=APP,
        test_fresh="""
        import app

        def test_asks_for_the_instance(connect_instance_id, connect_client):
            ids = [i["Id"] for i in connect_client.list_instances()["InstanceSummaryList"]]
            assert ids == [connect_instance_id]

        def test_fresh(connect_client):
            assert app.aliases() == []
            assert connect_client.list_instances()["InstanceSummaryList"] == []

        def test_ids_of_another_test_are_unknown(connect_client):
            app.open_desk()

        def test_asks_again(connect_instance_id, connect_client):
            ids = [i["Id"] for i in connect_client.list_instances()["InstanceSummaryList"]]
            assert ids == [connect_instance_id]
        """,
    )
    run(pytester).assert_outcomes(passed=4)


def test_session_scope_shares_one_state(desks: pytest.Pytester) -> None:
    result = run(desks, "--connect-emulator-scope", "session", "test_one.py", "test_two.py")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*emulator state per run*", "FAILED test_two.py::test_desk - *"])
    assert "assert ['desk'] == []" in result.stdout.str()


def test_module_scope_from_the_ini_file_shares_a_state_within_a_module_only(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nconnect_emulator_scope = module\n")
    module = """
        import app

        def test_first():
            assert app.aliases() == []
            app.open_desk()

        def test_second_sees_the_first():
            assert app.aliases() == ["desk"]
        """
    pytester.makepyfile(app=APP, test_one=module, test_two=module)
    result = run(pytester)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*emulator state per module*"])


def test_an_unknown_scope_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nconnect_emulator_scope = class\n")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*connect_emulator_scope = 'class': choose one of test, module, session*"])


def test_an_overridden_emulator_keeps_its_behaviour_and_identity_across_tests(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from pytest_connect_email.emulator import Backend, Emulator

        class Shouting(Backend):
            def _list_instances(self, tx, p):
                found = super()._list_instances(tx, p)
                for item in found["InstanceSummaryList"]:
                    item["InstanceAlias"] = item["InstanceAlias"].upper()
                return found

        MADE = []

        @pytest.fixture(scope="session")
        def connect_emulator():
            emulator = Emulator(backend=Shouting())
            MADE.append(emulator)
            yield emulator
            emulator.backend.store.close()
        """
    )
    test = """
        import app
        import conftest

        def test_desk(connect_emulator):
            assert app.aliases() == []
            app.open_desk()
            assert app.aliases() == ["DESK"]
            assert conftest.MADE == [connect_emulator]
        """
    pytester.makepyfile(app=APP, test_one=test, test_two=test)
    run(pytester).assert_outcomes(passed=2)


def test_an_emulator_over_a_state_file_is_shared_state(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from pytest_connect_email.emulator import Emulator

        @pytest.fixture(scope="session")
        def connect_emulator(tmp_path_factory):
            emulator = Emulator.create(state=str(tmp_path_factory.mktemp("state") / "connect.db"))
            yield emulator
            emulator.backend.store.close()
        """
    )
    pytester.makepyfile(
        app=APP,
        test_state="""
        import app

        def test_first(connect_emulator):
            app.open_desk()

        def test_second_sees_it(connect_emulator):
            assert app.aliases() == ["desk"]
        """,
    )
    run(pytester).assert_outcomes(passed=2)


@pytest.mark.parametrize(("scope", "header"), [((), "per test"), (("--connect-emulator-scope", "session"), "per run")])
def test_the_conformance_suite_passes_with_a_state_per_check_or_one_shared(
    pytester: pytest.Pytester, scope: tuple[str, ...], header: str
) -> None:
    result = run(pytester, "--connect-conformance", *scope, "-k", "ADDR-001 or DISASSOC-001")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"*emulator state {header}*"])


def test_a_fresh_state_is_cheap() -> None:
    from pytest_connect_email.emulator import Emulator

    emulator = Emulator.create()
    backend = emulator.backend
    for n in range(20):
        instance = backend.invoke(
            "CreateInstance",
            {
                "IdentityManagementType": "CONNECT_MANAGED",
                "InstanceAlias": f"desk-{n}",
                "InboundCallsEnabled": True,
                "OutboundCallsEnabled": True,
            },
        )["Id"]
        backend.invoke("CreateEmailAddress", {"InstanceId": instance, "EmailAddress": f"s{n}@example.com"})
    started = time.perf_counter()
    backend.reset()
    took = time.perf_counter() - started
    assert backend.invoke("ListInstances", {})["InstanceSummaryList"] == []
    assert took < 0.005
