# cmake -P helper: writes a help2man include file made of BASE (docs/man/CMD.h2m) plus a
# COMMANDS section holding `CMD SUB --help` for every SUB, so a command with subcommands
# gets each subcommand's own help in its man page, verbatim.
# Variables: BASE, CMD (the binary), SUBCOMMANDS (comma-separated), OUT.
string(REPLACE "," ";" SUBCOMMANDS "${SUBCOMMANDS}")
file(READ ${BASE} text)
string(APPEND text "[COMMANDS]\n")
foreach(sub ${SUBCOMMANDS})
  execute_process(COMMAND ${CMD} ${sub} --help OUTPUT_VARIABLE help ERROR_VARIABLE help
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR help STREQUAL "")
    message(FATAL_ERROR "${CMD} ${sub} --help failed (${rc})")
  endif()
  # roff: backslashes escaped, a line starting with . or ' must not be read as a request.
  string(REPLACE "\\" "\\e" help "${help}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" help "${help}")
  string(APPEND text ".SS ${sub}\n.nf\n${help}.fi\n")
endforeach()
file(WRITE ${OUT} "${text}")
