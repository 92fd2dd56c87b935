# Run by `cmake --install` (make install): the files whose text names the
# installation's paths, made now so that the prefix given at install time
# (make install PREFIX=...) is the one they name; file(INSTALL) puts them
# under DESTDIR. BECKON_SRC and BECKON_BIN are set by CMakeLists.txt.
#
#   PREFIX/etc/beckon/beckon.conf          etc/beckon.conf with the paths
#                                          below (kept if it exists)
#   PREFIX/etc/beckon/beckon.conf.example  the same, always
#   PREFIX/lib/systemd/system/beckon.service
#
# With PREFIX /usr the configuration goes to /etc/beckon. The state
# (database, recordings, greetings) is in /var/lib/beckon, the service's
# StateDirectory.
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
	set(sysconf "/etc/beckon")
else()
	set(sysconf "${prefix}/etc/beckon")
endif()
set(BIN "${prefix}/bin")
set(CONF "${sysconf}/beckon.conf")
set(STATE "/var/lib/beckon")
set(data "${prefix}/share/beckon")
set(out "${BECKON_BIN}/install")
file(MAKE_DIRECTORY "${out}")

# each line of etc/beckon.conf that shows a relative default, and what
# the installed file says instead; a line that is not there any more
# stops the install (the example changed: change this list)
file(READ "${BECKON_SRC}/etc/beckon.conf" conf)
foreach(pair
		"# db sqlite:var/beckon.db|db sqlite:${STATE}/beckon.db"
		"# www_dir share/www|www_dir ${data}/www"
		"# prompt_dir share/prompts|prompt_dir ${data}/prompts"
		"# greeting_dir var/greetings|greeting_dir ${STATE}/greetings"
		"# record_dir var/recordings|record_dir ${STATE}/recordings")
	string(REPLACE "|" ";" kv "${pair}")
	list(GET kv 0 from)
	list(GET kv 1 to)
	string(FIND "${conf}" "\n${from}\n" at)
	if(at EQUAL -1)
		message(FATAL_ERROR "etc/beckon.conf has no line '${from}'")
	endif()
	string(REPLACE "\n${from}\n" "\n${to}\n" conf "${conf}")
endforeach()
file(WRITE "${out}/beckon.conf" "${conf}")
file(COPY_FILE "${out}/beckon.conf" "${out}/beckon.conf.example")

configure_file("${BECKON_SRC}/etc/systemd/beckon.service.in"
	"${out}/beckon.service" @ONLY)

file(INSTALL DESTINATION "${sysconf}" TYPE FILE
	FILES "${out}/beckon.conf.example")
if(NOT EXISTS "$ENV{DESTDIR}${CONF}")
	file(INSTALL DESTINATION "${sysconf}" TYPE FILE
		FILES "${out}/beckon.conf")
else()
	message(STATUS "Kept: $ENV{DESTDIR}${CONF}")
endif()
file(INSTALL DESTINATION "${prefix}/lib/systemd/system" TYPE FILE
	FILES "${out}/beckon.service")
