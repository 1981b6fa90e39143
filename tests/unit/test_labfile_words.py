"""A lab file read as a shell and VBoxManage read it, whatever it holds (issue 29's reader
part): shell word rules, bounded reading, one-line errors, and a fuzz of the reader."""

import os
import random
import time

import pytest

from topos.labfile.reader import MAX_BYTES, parse, read
from topos.labfile.spec import LabFileError, LabSpec
from topos.labfile.words import commands

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAD = "[host1]\nVBoxManage createvm --name web --register\n"


@pytest.mark.parametrize("text, expected", [
    ("a b  c\n", [(1, ["a", "b", "c"])]),
    ("a \\\n  b\nc\n", [(1, ["a", "b"]), (3, ["c"])]),  # a continuation line
    ("# note \\\na\n", [(2, ["a"])]),  # a comment's backslash continues nothing
    ("a build#42 b # comment\n", [(1, ["a", "build#42", "b"])]),  # # starts words only
    ("a 'x  y' \"p \\\"q\\\" $r\" ''\n", [(1, ["a", "x  y", 'p "q" $r', ""])]),
    ("a 'one\ntwo' b\nc\n", [(1, ["a", "one\ntwo", "b"]), (3, ["c"])]),
    ("a \\# b\\ c\n", [(1, ["a", "#", "b c"])]),
    ("\n\n   \n", []),
])
def test_words_are_split_as_a_shell_splits_them(text, expected):
    assert commands(text) == expected


@pytest.mark.parametrize("text, line, message", [
    ("a\nb 'open\n", 2, "a ' quote is never closed"),
    ('a "open\n', 1, 'a " quote is never closed'),
    ("a\nb \\", 2, "a backslash ends the file"),
])
def test_what_a_shell_refuses_is_an_error_naming_its_line(text, line, message):
    with pytest.raises(ValueError, match="line %d: %s" % (line, message)):
        commands(text)


def test_a_trailing_backslash_on_the_last_command_is_an_error_not_a_lost_command():
    with pytest.raises(LabFileError, match=r"my.lab:3: a backslash ends the file"):
        parse(HEAD + "VBoxManage modifyvm web --nic1 nat \\", "my.lab")


def test_a_hash_inside_a_word_keeps_the_rest_of_the_line():
    spec = parse(HEAD + "VBoxManage modifyvm web --description build#42 --nic1 nat\n")
    assert spec.vm("web").adapters[1].kind == "nat"


def file_with(tmp_path, data):
    path = tmp_path / "my.lab"
    path.write_bytes(data)
    return str(path)


def test_a_byte_that_is_not_utf8_is_one_error_naming_its_line(tmp_path):
    with pytest.raises(LabFileError, match=r"my.lab:3: byte 0xe9 is not UTF-8"):
        read(file_with(tmp_path, HEAD.encode() + b"# caf\xe9\n"))


def test_a_byte_order_mark_is_no_word(tmp_path):
    assert isinstance(read(file_with(tmp_path, b"\xef\xbb\xbf" + HEAD.encode())), LabSpec)


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null"])
def test_only_a_regular_file_is_read(path):
    with pytest.raises(LabFileError, match="not a regular file"):
        read(path)


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = str(tmp_path / "pipe.lab")
    os.mkfifo(fifo)
    with pytest.raises(LabFileError, match="not a regular file"):
        read(fifo)  # no writer: opening it would wait for ever


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path):
    with pytest.raises(LabFileError, match="a lab file is at most %d" % MAX_BYTES):
        read(file_with(tmp_path, b"#" * (MAX_BYTES + 1)))


def test_a_megabyte_word_is_refused_quickly_and_not_echoed():
    start = time.monotonic()
    with pytest.raises(LabFileError) as e:
        parse(HEAD + "VBoxManage modifyvm web --nic1 " + "x" * (MAX_BYTES - 100) + "\n")
    assert time.monotonic() - start < 2 and len(str(e.value)) < 300


def test_many_vms_are_refused_at_the_first_too_many_quickly():
    text = "[host1]\n" + "".join("VBoxManage createvm --name v%d --register\n" % n
                                 for n in range(50000))
    start = time.monotonic()
    with pytest.raises(LabFileError, match=r":257: more than 255 VMs"):
        parse(text)
    assert time.monotonic() - start < 2


@pytest.mark.parametrize("option", ["--nic_1", "--1", "--\u00e9", "--nic\u0661", "--nic\uff11"])
def test_an_option_vboxmanage_has_not_is_one_error(option):
    with pytest.raises(LabFileError, match="Unknown option"):
        parse(HEAD + "VBoxManage modifyvm web %s nat\n" % option)


def test_a_host_only_interface_past_192_168_255_is_refused():
    with pytest.raises(LabFileError, match="vboxnet200 would be past 192.168.255.1"):
        parse("[host1]\n" + "VBoxManage hostonlyif create\n" * 201)


def test_a_control_character_never_reaches_the_terminal_raw():
    with pytest.raises(LabFileError) as e:
        parse("[host1]\n\x1b[31mVBoxManage createvm --name web --register\n")
    assert "\x1b" not in str(e.value) and "\\x1b" in str(e.value)


def mutate(text, rng):
    """One small edit of a lab file, as a fuzzer makes it."""
    pieces = ["\\", "\\\n", "'", '"', "#", "\n", " ", "--", "=", "\x00", "\x1b", "\u00e9",
              "--nic1", "nat", "VBoxManage", "[host1]", "[guest web]", "9" * 12, "é",
              "--natpf1", ",", ":", "[", "]", "\t", "createvm --name x --register", "modifyvm"]
    i = rng.randrange(len(text) + 1)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + rng.choice(pieces) + text[i:]
    if kind == 1:
        return text[:i] + text[i + rng.randrange(1, 8):]
    j = rng.randrange(len(text) + 1)
    return text[:i] + text[j:j + rng.randrange(1, 40)] + text[i:]


def test_the_reader_fuzzed_gives_a_spec_or_one_line_error_quickly():
    """20,000 mutations of the shipped lab files: each is read in a bounded time and gives a
    LabSpec or a LabFileError of one line naming the file and a line: never a traceback."""
    corpus = [open(os.path.join(ROOT, "labs", n)).read()
              for n in sorted(os.listdir(os.path.join(ROOT, "labs"))) if n.endswith(".lab")]
    rng = random.Random(29)
    slowest, cases = 0.0, 20000
    for n in range(cases):
        text = rng.choice(corpus)
        for _ in range(rng.randrange(1, 4)):
            text = mutate(text, rng)
        start = time.monotonic()
        try:
            result = parse(text, "fuzz.lab")
        except LabFileError as e:
            message = str(e)
            assert message.startswith("fuzz.lab:") and "\n" not in message, (n, message)
        else:
            assert isinstance(result, LabSpec)
        slowest = max(slowest, time.monotonic() - start)
    assert slowest < 1.0, slowest


def test_both_spellings_and_the_protocols_case_are_read_as_vboxmanage_reads_them():
    spec = parse("[host1]\nVBoxManage natnetwork add --netname n --network 10.9.0.0/24\n"
                 "VBoxManage createvm --name web --register\n"
                 "VBoxManage modifyvm web --nic1 natnetwork --natnetwork1 n --nic2 nat "
                 "--natlocalhostreachable2 on --natpf2 ssh,TCP,,2222,,22\n")
    web = spec.vm("web")
    assert web.adapters[1].network == "n" and web.adapters[2].localhostreachable
    assert web.adapters[2].forwards[0].proto == "tcp"
