/* memq-idle: a stand-in for the scenario's "real" programs (miner, rkd, nginx, redis-server) in
 * memq's rootkit test image. Copied under each program's name (so comm and exe are the program's),
 * it sleeps forever. GPL-2.0.
 *   MEMQ_TITLE=text   re-exec itself with the text as its only argv (/proc/PID/cmdline shows it, the way
 *                     nginx's and postgres's rewritten titles look)
 *   MEMQ_LISTEN=port  listen on TCP 0.0.0.0:port (IPv4) so the process owns a LISTEN socket
 *   MEMQ_HEAP=text    keep the text in a malloc()ed heap buffer (a marker to find in memory)
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *title = getenv("MEMQ_TITLE"), *port = getenv("MEMQ_LISTEN"), *heap = getenv("MEMQ_HEAP");
	static volatile char *keep;

	if (title && strcmp(argv[0], title)) {
		/* exec the real path (not /proc/self/exe, which would make comm "exe") */
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		char *args[] = { (char *)title, NULL };

		if (n > 0) {
			self[n] = 0;
			execv(self, args);
		}
	}
	if (heap) {
		size_t n = strlen(heap) + 1;
		keep = malloc(n < 256 ? 256 : n);
		if (keep)
			memcpy((char *)keep, heap, n);
	}
	if (port) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
		int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;

		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (s < 0 || bind(s, (struct sockaddr *)&sin, sizeof(sin)) || listen(s, 16))
			return 1;
	}
	for (;;)
		pause();
}
