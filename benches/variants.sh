# The filter variants the filter benches time and compare, sourced by
# benches/filter.sh, benches/filter_ir.sh and benches/mars_identical.sh:
# levels, tags, times, patterns (whole record and message), colour, JSON.
# shellcheck disable=SC2034 # used by the scripts that source this file
variants=(
    ""
    "--color never -l V"
    "-l W"
    "-l E --tag im*"
    "--since 10:03 --until 10:05 --main-thread"
    "-e elapsed:\\d+ms"
    "-e SendHeartbeat"
    "-l I -i -e LOGIN|kicked"
    "-v -e user="
    "--color always"
    "--format json"
)
