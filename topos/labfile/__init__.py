"""Lab files (docs/labfiles.md): VMs with adapters as VirtualBox has them, written in
VBoxManage's own words. spec holds what a file describes, vboxmanage reads the commands,
reader the file."""
