"""Flashers against fake tool executables on PATH: command lines, success, failure, timeout, missing tool."""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from hil.errors import BoardSpecError, FlashError
from hil.flashers import (CubeProgrammerFlasher, MassStorageFlasher, OpenOcdFlasher, PyOcdFlasher, StFlashFlasher,
                          make_flasher, select_flasher)
from tests.hil_unit.fake_usb import StLinkDrive, install_tool, nucleo_spec, process_gone, recorded_argv

SPEC = nucleo_spec()
PROBE = "0671FF495251717867123456"


@pytest.fixture
def fake_bin(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return bin_dir


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "my firmware"  # a space, as in real home folders
    folder.mkdir()
    elf, binary = folder / "tofhil_fw.elf", folder / "tofhil_fw.bin"
    elf.write_bytes(b"\x7fELF" + bytes(60))
    binary.write_bytes(bytes(range(256)) * 4)
    return {"elf": elf, "bin": binary}


# (flasher name, tool, image kind, expected argv with the probe, expected reset argv with the probe)
COMMANDS = [
    ("pyocd", "pyocd", "elf",
     ["load", "--no-wait", "-t", "stm32f401retx", "--uid", PROBE, "{image}"],
     ["reset", "--no-wait", "-t", "stm32f401retx", "--uid", PROBE]),
    ("st-flash", "st-flash", "bin",
     ["--serial", PROBE, "--reset", "write", "{image}", "0x08000000"],
     ["--serial", PROBE, "reset"]),
    ("openocd", "openocd", "elf",
     ["-f", "board/st_nucleo_f4.cfg", "-c", f"adapter serial {PROBE}", "-c", "program {{{image}}} verify reset exit"],
     ["-f", "board/st_nucleo_f4.cfg", "-c", f"adapter serial {PROBE}", "-c", "init", "-c", "reset run", "-c",
      "shutdown"]),
    ("stm32cubeprogrammer", "STM32_Programmer_CLI", "bin",
     ["-c", "port=SWD", f"sn={PROBE}", "-w", "{image}", "0x08000000", "-v", "-rst"],
     ["-c", "port=SWD", f"sn={PROBE}", "-rst"]),
]


@pytest.mark.parametrize("name, tool, kind, flash_argv, reset_argv", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_flash_and_reset_command_lines(fake_bin, images, name, tool, kind, flash_argv, reset_argv):
    install_tool(fake_bin, tool)
    flasher = select_flasher(SPEC, name)
    flasher.flash(images[kind], PROBE)
    image = str(images[kind].resolve())
    assert recorded_argv(fake_bin, tool) == [arg.format(image=image) for arg in flash_argv]
    flasher.reset(PROBE)
    assert recorded_argv(fake_bin, tool) == reset_argv


@pytest.mark.parametrize("name, tool, kind", [(c[0], c[1], c[2]) for c in COMMANDS], ids=[c[0] for c in COMMANDS])
def test_without_probe_the_tool_picks_its_only_probe(fake_bin, images, name, tool, kind):
    install_tool(fake_bin, tool)
    select_flasher(SPEC, name).flash(images[kind], None)
    argv = recorded_argv(fake_bin, tool)
    assert not any(PROBE in arg for arg in argv)
    assert not {"--uid", "--serial"} & set(argv)


def test_default_flasher_is_the_yaml_default(fake_bin):
    install_tool(fake_bin, "pyocd")
    flasher = select_flasher(SPEC)
    assert isinstance(flasher, PyOcdFlasher)
    assert flasher.target == "stm32f401retx"


def test_pyocd_takes_a_bin_at_the_flash_origin(fake_bin, images):
    install_tool(fake_bin, "pyocd")
    select_flasher(SPEC, "pyocd").flash(images["bin"], PROBE)
    argv = recorded_argv(fake_bin, "pyocd")
    assert argv[-3:] == ["--base-address", "0x08000000", str(images["bin"].resolve())]


def test_yaml_options_reach_the_command_line(fake_bin, images):
    spec = nucleo_spec({"default": "pyocd", "pyocd": {"target": "stm32f401retx", "frequency": "4m"},
                        "st-flash": {"reset": 0}, "stm32cubeprogrammer": {"port": "JTAG"}})
    for tool in ("pyocd", "st-flash", "STM32_Programmer_CLI"):
        install_tool(fake_bin, tool)
    select_flasher(spec, "pyocd").flash(images["elf"], None)
    assert ["-f", "4m"] == recorded_argv(fake_bin, "pyocd")[4:6]
    select_flasher(spec, "st-flash").flash(images["bin"], None)
    assert "--reset" not in recorded_argv(fake_bin, "st-flash")
    select_flasher(spec, "stm32cubeprogrammer").flash(images["bin"], None)
    assert recorded_argv(fake_bin, "STM32_Programmer_CLI")[:2] == ["-c", "port=JTAG"]


@pytest.mark.parametrize("name, tool, hint", [
    ("pyocd", "pyocd", "pip install pyocd"),
    ("st-flash", "st-flash", "apt-get install stlink-tools"),
    ("openocd", "openocd", "apt-get install openocd"),
    ("stm32cubeprogrammer", "STM32_Programmer_CLI", "STM32CubeProgrammer from st.com"),
])
def test_missing_tool_names_it_and_how_to_install_it(tmp_path, name, tool, hint):
    with pytest.raises(FlashError) as error:
        select_flasher(SPEC, name, search_path=str(tmp_path))
    assert f"needs '{tool}', which is not on PATH" in str(error.value)
    assert hint in str(error.value)


def test_failed_flash_carries_the_tail_of_the_output(fake_bin, images):
    install_tool(fake_bin, "st-flash", "fail")
    with pytest.raises(FlashError) as error:
        select_flasher(SPEC, "st-flash").flash(images["bin"], PROBE)
    message = str(error.value)
    assert "st-flash flashing failed (exit code 1)" in message
    assert "Error: st-flash could not verify flash at 0x08000000" in message
    assert "progress line 30" in message and "progress line 5\n" not in message  # the tail, not everything
    assert f"--serial {PROBE}" in message  # the command, to retry by hand


def test_hanging_tool_times_out_and_its_children_are_killed(fake_bin, images):
    install_tool(fake_bin, "openocd", "hang")
    flasher = make_flasher(SPEC, "openocd", flash_timeout=0.5)
    with pytest.raises(FlashError) as error:
        flasher.flash(images["elf"], PROBE)
    assert "openocd flashing timed out after 0.5 s" in str(error.value)
    assert "openocd: waiting for the probe" in str(error.value)
    child = int((fake_bin / "openocd.child").read_text())
    assert process_gone(child), "the tool's child process survived the timeout"


def test_pyocd_without_the_target_pack_says_how_to_install_it(fake_bin, images):
    install_tool(fake_bin, "pyocd", "no-pack")
    with pytest.raises(FlashError, match="pyocd pack install stm32f401retx"):
        select_flasher(SPEC, "pyocd").flash(images["elf"], None)


def test_cubeprogrammer_error_line_fails_even_with_exit_code_0(fake_bin, images):
    install_tool(fake_bin, "STM32_Programmer_CLI", "error-exit-0")
    with pytest.raises(FlashError, match="No STM32 target found"):
        select_flasher(SPEC, "stm32cubeprogrammer").flash(images["bin"], None)


def test_wrong_image_format_and_missing_image(fake_bin, images):
    install_tool(fake_bin, "st-flash")
    flasher = select_flasher(SPEC, "st-flash")
    with pytest.raises(FlashError, match=r"takes \.bin images"):
        flasher.flash(images["elf"], None)
    with pytest.raises(FlashError, match="does not exist: build the firmware first"):
        flasher.flash(images["bin"].with_name("absent.bin"), None)
    assert recorded_argv(fake_bin, "st-flash") is None


def test_unknown_or_unconfigured_flasher_lists_the_choices():
    with pytest.raises(FlashError) as error:
        make_flasher(SPEC, "jlink")
    assert "has no flasher 'jlink'" in str(error.value)
    assert "mass-storage, openocd, pyocd, st-flash, stm32cubeprogrammer" in str(error.value)
    only_pyocd = nucleo_spec({"default": "pyocd", "pyocd": {"target": "stm32f401retx"}})
    with pytest.raises(FlashError, match="choose one of pyocd"):
        make_flasher(only_pyocd, "openocd")


def test_bad_flasher_settings_name_the_yaml_key():
    with pytest.raises(BoardSpecError, match=r"nucleo-f401re.yaml flashers.pyocd: missing key 'target'"):
        make_flasher(nucleo_spec({"default": "pyocd", "pyocd": {}}))
    with pytest.raises(BoardSpecError, match=r"flashers.openocd: unknown key 'speed'"):
        make_flasher(nucleo_spec({"default": "openocd", "openocd": {"config": "x.cfg", "speed": 1}}))


def test_every_flasher_class_is_selectable():
    classes = {name: type(make_flasher(SPEC, name)) for name in
               ("pyocd", "st-flash", "openocd", "stm32cubeprogrammer", "mass-storage")}
    assert classes == {"pyocd": PyOcdFlasher, "st-flash": StFlashFlasher, "openocd": OpenOcdFlasher,
                       "stm32cubeprogrammer": CubeProgrammerFlasher, "mass-storage": MassStorageFlasher}


# --- the ST-LINK mass-storage drive -------------------------------------------------------------------------

def drive_flasher(tmp_path, **options):
    options = {"vanish_timeout": 2.0, "remount_timeout": 3.0, "poll_interval": 0.02,
               "by_label_dir": tmp_path / "by-label", "process_names": lambda: {"systemd", "udisksd"}, **options}
    return make_flasher(SPEC, "mass-storage", mount_roots=(tmp_path / "media", tmp_path / "mnt"), **options)


def test_drive_copy_waits_for_the_stlink_to_come_back(tmp_path, images):
    drive = StLinkDrive(tmp_path / "media" / "lab" / "NODE_F401RE").expect(images["bin"].stat().st_size)
    drive_flasher(tmp_path).flash(images["bin"], None)
    drive.join()
    assert drive.received == images["bin"].read_bytes()
    assert drive.mount.is_dir()


def test_drive_fail_txt_is_a_flash_error(tmp_path, images):
    drive = StLinkDrive(tmp_path / "mnt" / "NODE_F401RE", fail_text="The application file format is unknown")
    drive.expect(images["bin"].stat().st_size)
    with pytest.raises(FlashError, match="FAIL.TXT says: The application file format is unknown"):
        drive_flasher(tmp_path).flash(images["bin"], None)


def test_drive_that_does_not_come_back(tmp_path, images):
    StLinkDrive(tmp_path / "media" / "NODE_F401RE", comes_back=False).expect(images["bin"].stat().st_size)
    with pytest.raises(FlashError, match="did not come back within 1 s after the copy although udisksd runs"):
        drive_flasher(tmp_path, remount_timeout=1.0).flash(images["bin"], None)


def test_headless_machine_without_automounter_says_why_at_once(tmp_path, images):
    """The drive comes back as a block device (by-label link) that nothing mounts: say so, without the wait."""
    drive = StLinkDrive(tmp_path / "mnt" / "NODE_F401RE", comes_back=False).expect(images["bin"].stat().st_size)
    (tmp_path / "by-label").mkdir()
    (tmp_path / "by-label" / "NODE_F401RE").symlink_to(tmp_path / "images-sdb")
    (tmp_path / "images-sdb").touch()
    started = time.monotonic()
    with pytest.raises(FlashError) as error:
        drive_flasher(tmp_path, remount_timeout=20.0, process_names=lambda: {"systemd", "sshd"}).flash(
            images["bin"], None)
    drive.join()
    assert time.monotonic() - started < 10
    message = str(error.value)
    assert f"came back as {tmp_path / 'by-label' / 'NODE_F401RE'} but was not mounted again" in message
    assert "no automounter runs on this machine" in message and "--flasher pyocd or st-flash" in message


def test_drive_that_stays_mounted_is_checked_after_the_vanish_timeout(tmp_path, images):
    mount = tmp_path / "media" / "NODE_F401RE"
    mount.mkdir(parents=True)
    flasher = drive_flasher(tmp_path, vanish_timeout=0.1)
    flasher.flash(images["bin"], None)
    assert (mount / "tofhil_fw.bin").read_bytes() == images["bin"].read_bytes()
    (mount / "FAIL.TXT").write_text("The interface firmware FAILED to reset/halt the target MCU")
    with pytest.raises(FlashError, match="FAILED to reset/halt"):
        flasher.flash(images["bin"], None)


def test_no_drive_says_where_it_looked(tmp_path):
    with pytest.raises(FlashError) as error:
        select_flasher(SPEC, "mass-storage", mount_roots=(tmp_path / "media",))
    assert f"no drive labelled NODE_F401RE is mounted under {tmp_path / 'media'}" in str(error.value)


def test_two_drives_need_a_probe_found_through_by_id_links(tmp_path, images):
    first, second = tmp_path / "media" / "lab user" / "NODE_F401RE", tmp_path / "media" / "lab user" / "NODE_F401RE1"
    first.mkdir(parents=True)
    second.mkdir()
    by_id, devices = tmp_path / "by-id", tmp_path / "dev"
    by_id.mkdir()
    devices.mkdir()
    for serial, dev in (("AAAA1111", "sdb"), (PROBE, "sdc")):
        (devices / dev).touch()
        (by_id / f"usb-STMicro_Mass_Storage_{serial}-0:0").symlink_to(devices / dev)
    mounts = tmp_path / "mounts"
    mounts.write_text(f"{devices / 'sdb'} {str(first).replace(' ', chr(92) + '040')} vfat rw 0 0\n"
                      f"{devices / 'sdc'} {str(second).replace(' ', chr(92) + '040')} vfat rw 0 0\n")
    flasher = drive_flasher(tmp_path, vanish_timeout=0.05, by_id_dir=by_id, mounts_file=mounts)
    with pytest.raises(FlashError, match="2 ST-LINK drives mounted"):
        flasher.flash(images["bin"], None)
    flasher.flash(images["bin"], PROBE)
    assert (second / "tofhil_fw.bin").is_file() and not (first / "tofhil_fw.bin").exists()
    with pytest.raises(FlashError, match="no mounted NODE_F401RE drive belongs to probe 'CCCC'"):
        flasher.flash(images["bin"], "CCCC")


def test_drive_reset_flashes_the_last_image_again(tmp_path, images):
    mount = tmp_path / "media" / "NODE_F401RE"
    mount.mkdir(parents=True)
    flasher = drive_flasher(tmp_path, vanish_timeout=0.05)
    with pytest.raises(FlashError, match="RESET button"):
        flasher.reset(None)
    flasher.flash(images["bin"], None)
    (mount / "tofhil_fw.bin").unlink()
    flasher.reset(None)
    assert (mount / "tofhil_fw.bin").read_bytes() == images["bin"].read_bytes()


def test_the_real_pyocd_fails_fast_on_a_probe_that_is_not_there():
    """pyOCD itself, up to the USB boundary: an unknown probe serial number never touches a real probe."""
    flasher = select_flasher(SPEC, "pyocd", reset_timeout=60)
    with pytest.raises(FlashError) as error:
        flasher.reset("TOFHIL-NO-SUCH-PROBE")
    assert "pyocd reset failed (exit code 1)" in str(error.value)
    assert "No connected debug probe matches unique ID 'TOFHIL-NO-SUCH-PROBE'" in str(error.value)


def test_ctrl_c_while_flashing_kills_the_tool_and_its_children(fake_bin, images):
    install_tool(fake_bin, "st-flash", "hang")
    child_file = fake_bin / "st-flash.child"
    main = threading.get_ident()

    def press_ctrl_c():
        while not child_file.exists() or not child_file.read_text().strip():
            time.sleep(0.02)
        signal.pthread_kill(main, signal.SIGINT)

    threading.Thread(target=press_ctrl_c, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        select_flasher(SPEC, "st-flash").flash(images["bin"], None)
    assert process_gone(int(child_file.read_text()))
