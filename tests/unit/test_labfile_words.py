"""A lab file read as a shell and VBoxManage read it, whatever it holds (issue 29's reader
part): shell word rules, bounded reading, one-line errors, and a fuzz of the reader."""

import os
import random
import time

import pytest

from topos.labfile.model import Model
from topos.labfile.predict import answers
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


# words a generated lab file is made of: VBoxManage's commands, options and values
VERBS = ["createvm --name v%d --register", "modifyvm v%d", "startvm v%d", "hostonlyif create",
         "hostonlyif ipconfig vboxnet%d", "natnetwork add --netname n%d",
         "natnetwork modify --netname n%d", "dhcpserver add", "natnetwork start"]
OPTIONS = ["--nic%d", "--nat-pf%d", "--natpf%d", "--host-only-adapter%d", "--intnet%d",
           "--nat-network%d", "--bridge-adapter%d", "--cable-connected%d", "--natnet%d",
           "--mac-address%d", "--nictype%d", "--memory", "--cpus", "--boot%d", "--network",
           "--dhcp", "--port-forward-4", "--enable", "--disable", "--interface", "--server-ip",
           "--netmask", "--lower-ip", "--upper-ip", "--ip", "--loopback-4", "--NIC%d"]
VALUES = ["nat", "natnetwork", "hostonly", "intnet", "bridged", "null", "none", "vboxnet0",
          "vboxnet1", "n0", "n1", "eth0", "on", "off", "10.0.%d.0/24", "192.168.56.%d",
          "192.168.57.%d", "255.255.255.0", "ssh,tcp,,22%d,,22", "w:tcp:[]:80%d:[10.0.0.4]:80",
          "10.0.2.%d", "127.0.0.1=%d", "-3", "abc", "", "virtio", "192.168.1.0/24", "auto"]
GUEST = ["eth%d dhcp", "eth%d address 10.0.%d.9/24", "eth0 address 192.168.56.%d/24 gateway "
         "192.168.56.1", "forward", "masquerade eth%d", "dhcp-server eth1 10.0.1.10 10.0.1.%d"]


def numbered(word, rng):
    while "%d" in word:
        word = word.replace("%d", str(rng.choice([0, 1, 2, 3, 8, 9, 200, 255])), 1)
    return word


def generated(rng):
    """A lab file made of VBoxManage's words at random: most wrong, some valid."""
    lines = ["[host%d]" % rng.choice([1, 1, 2])]
    for n in range(rng.randrange(1, 4)):
        lines.append("VBoxManage createvm --name v%d --register" % n)
    for _ in range(rng.randrange(1, 12)):
        if rng.random() < 0.15:
            lines.append("[guest v%d]" % rng.randrange(3))
            lines += [numbered(rng.choice(GUEST), rng) for _ in range(rng.randrange(1, 3))]
            lines.append("[host1]")
            continue
        words = [numbered(rng.choice(VERBS), rng)]
        for _ in range(rng.randrange(0, 5)):
            words += [numbered(rng.choice(OPTIONS), rng), numbered(rng.choice(VALUES), rng)]
        lines.append("VBoxManage " + " ".join(words))
    return "\n".join(lines) + "\n"


def test_the_reader_and_model_fuzzed_give_answers_or_one_line_error_quickly():
    """20,000 mutations of the shipped lab files and 5,000 generated ones: each is read in a
    bounded time and gives a LabSpec whose model answers every question, or a LabFileError
    of one line naming the file and a line: never a traceback."""
    corpus = [open(os.path.join(ROOT, "labs", n)).read()
              for n in sorted(os.listdir(os.path.join(ROOT, "labs"))) if n.endswith(".lab")]
    rng = random.Random(29)
    slowest, read, cases = 0.0, 0, 25000
    for n in range(cases):
        if n < 20000:
            text = rng.choice(corpus)
            for _ in range(rng.randrange(1, 4)):
                text = mutate(text, rng)
        else:
            text = generated(rng)
        start = time.monotonic()
        try:
            result = parse(text, "fuzz.lab")
        except LabFileError as e:
            message = str(e)
            assert message.startswith("fuzz.lab:") and "\n" not in message, (n, message)
        else:
            assert isinstance(result, LabSpec)
            assert all(isinstance(a.reached, bool) for a in answers(Model(result))), text
            read += 1
        slowest = max(slowest, time.monotonic() - start)
    print("reader fuzz: %d cases, %d read as labs, slowest %.3f s" % (cases, read, slowest))
    assert slowest < 1.0, slowest
    assert read > 1000  # the mutations and the generator reach past the first error


def test_both_spellings_and_the_protocols_case_are_read_as_vboxmanage_reads_them():
    spec = parse("[host1]\nVBoxManage natnetwork add --netname n --network 10.9.0.0/24\n"
                 "VBoxManage createvm --name web --register\n"
                 "VBoxManage modifyvm web --nic1 natnetwork --natnetwork1 n --nic2 nat "
                 "--natlocalhostreachable2 on --natpf2 ssh,TCP,,2222,,22\n")
    web = spec.vm("web")
    assert web.adapters[1].network == "n" and web.adapters[2].localhostreachable
    assert web.adapters[2].forwards[0].proto == "tcp"
