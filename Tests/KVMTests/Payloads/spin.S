# Spins forever in real mode (loaded at 0x1000): only a kick gets the vCPU out of KVM_RUN.
    .code16
    .text
start:
    jmp start
