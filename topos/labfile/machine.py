"""modifyvm's options about the machine and its cards' hardware: nothing a packet's fate
depends on here, so they have no effect, but their values are checked as VBoxManage checks
them (VBoxManageModifyVM.cpp's option table and handleModifyVM; the ranges are Main's,
MachineImpl.cpp), with VirtualBox's words where it has them."""

# options taking a whole number (RTGETOPT_REQ_UINT32): option -> (lowest, highest, what) or
# None where VBoxManage takes any number
NUMBERS = {"memory": (4, 2097152, "Invalid RAM size: %d MB (must be in range [%d, %d] MB)"),
           "cpus": (1, 64, "Invalid virtual CPU count: %d (must be in range [%d, %d])"),
           "vram": None, "nicspeed": None, "nic-speed": None,
           "nicbootprio": (0, 4, "Invalid boot priority: %d (must be in range [%d, %d])"),
           "nic-boot-prio": (0, 4, "Invalid boot priority: %d (must be in range [%d, %d])")}
ON_OFF = {"acpi", "ioapic", "pae", "nested-paging", "usb", "rtcuseutc", "rtc-use-utc",
          "nictrace", "nic-trace"}
# options with a fixed set of values: option -> (values, VirtualBox's message, ignore case)
NIC_TYPES = ("Am79C970A", "Am79C973", "Am79C960", "82540EM", "82543GC", "82545EM", "virtio",
             "NE1000", "NE2000", "WD8003", "WD8013", "3C503", "3C501")
PROMISC = ("deny", "allow-vms", "allow-network", "allow-all")
CHOICES = {"nictype": (NIC_TYPES, "Invalid NIC type '%(value)s' specified for NIC %(nic)s", True),
           "nic-type": (NIC_TYPES, "Invalid NIC type '%(value)s' specified for NIC %(nic)s", True),
           "nicpromisc": (PROMISC, "Unknown promiscuous mode policy '%(value)s'", False),
           "nic-promisc": (PROMISC, "Unknown promiscuous mode policy '%(value)s'", False),
           "boot": (("none", "floppy", "dvd", "disk", "net"), "Invalid boot device '%(value)s'",
                    False)}
BOOT_POSITIONS = 4
INDEXED = {"boot", "uart"}  # machine options with a number: --boot1, --uart1
# the rest: free text (names, descriptions, OS types, files) or settings the lab does not
# check, each read and without effect
FREE = {"ostype", "os-type", "name", "description", "audio", "audio-driver",
        "graphicscontroller", "graphics-controller", "firmware", "chipset", "clipboard",
        "clipboard-mode", "draganddrop", "drag-and-drop", "vrde", "uart", "paravirtprovider",
        "paravirt-provider", "nictracefile", "nic-trace-file"}


def known(base):
    return base in NUMBERS or base in ON_OFF or base in CHOICES or base in FREE


def check(base, number, value):
    """A machine option's value, as VBoxManage checks it: ValueError when it would refuse."""
    if base == "boot" and not 1 <= int(number or 0) <= BOOT_POSITIONS:
        raise ValueError("--boot%s: Invalid boot position: %s (must be in range [1, %d])" % (
            number, number or "(none)", BOOT_POSITIONS))
    if base in NUMBERS:
        if not (value.isascii() and value.isdigit()) or int(value) >= 1 << 32:
            raise ValueError("--%s%s: Invalid argument format: %s (a whole number)" % (
                base, number, value))
        bounds = NUMBERS[base]
        if bounds and not bounds[0] <= int(value) <= bounds[1]:
            raise ValueError("--%s%s: " % (base, number) + bounds[2] % (int(value), bounds[0],
                                                                         bounds[1]))
    elif base in ON_OFF and value not in ("on", "off"):
        raise ValueError("--%s%s: Invalid argument format: %s (on or off)" % (base, number,
                                                                            value))
    elif base in CHOICES:
        values, message, icase = CHOICES[base]
        wanted = [v.lower() for v in values] if icase else values
        if (value.lower() if icase else value) not in wanted:
            raise ValueError("--%s%s: %s (%s)" % (base, number, message % {
                "value": value, "nic": number}, ", ".join(values)))
