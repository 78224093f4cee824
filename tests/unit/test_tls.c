/*
 * lib/tls.c's client helpers that need no peer: the address lookup of
 * the two clients (numeric ports only, the socket type asked for) and
 * the reason a connection failed when TLS has nothing to say.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <string.h>

#include <event2/util.h>

#include "harness.h"
#include "leakwatch/tls.h"

static void
test_client_addr(void)
{
	struct evutil_addrinfo *ai;
	const struct sockaddr_in *sin;

	REQUIRE(tls_client_addr("127.0.0.1", "6514", SOCK_DGRAM, 0, &ai) ==
	    0);
	CHECK(ai->ai_family == AF_INET);
	CHECK(ai->ai_socktype == SOCK_DGRAM);
	sin = (const struct sockaddr_in *)(const void *)ai->ai_addr;
	CHECK(ntohs(sin->sin_port) == 6514);
	CHECK(ntohl(sin->sin_addr.s_addr) == 0x7f000001);
	evutil_freeaddrinfo(ai);
	REQUIRE(tls_client_addr("::1", "7", SOCK_STREAM, 0, &ai) == 0);
	CHECK(ai->ai_family == AF_INET6);
	CHECK(ai->ai_socktype == SOCK_STREAM);
	evutil_freeaddrinfo(ai);
	/* A service name is not a port: the lookup never asks for one. */
	CHECK(tls_client_addr("127.0.0.1", "syslog", SOCK_STREAM, 0, &ai) !=
	    0);
}

static void
test_bev_error_socket(void)
{
	char buf[128];

	/* Without TLS the bufferevent is not looked at: the socket's error. */
	errno = ECONNREFUSED;
	CHECK(tls_bev_error(NULL, 0, buf, sizeof(buf)) == 0);
	CHECK_STR(buf, strerror(ECONNREFUSED));
}

static const struct test tests[] = {
	{ "client_addr", test_client_addr },
	{ "bev_error_socket", test_bev_error_socket },
};

HARNESS_MAIN(tests)
