# Shared by the bench scripts (sourced).
# ticks PID...: the CPU time (utime + stime, in clock ticks of $HZ) the processes have used so
# far, threads included; the difference over a run divided by its requests is CPU per request.
HZ=$(getconf CLK_TCK)
ticks() { local p t=0; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
