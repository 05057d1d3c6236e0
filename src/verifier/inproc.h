/* In-process calls of the verifier's routes (inproc.c). */
#ifndef VT_VERIFIER_INPROC_H
#define VT_VERIFIER_INPROC_H

#include <jansson.h>

#include "verifier/verifier.h"

/*
 * Dispatches METHOD PATH?QUERY with body (NUL-terminated JSON or NULL) through
 * svc's router on this worker's store, as a request of caller's client (borrowed
 * for the call): its address is the one admission counts the call against, as
 * if the client had asked for the route itself; its authorization is not
 * passed on.  A
 * 2xx answer becomes *result (the JSON, or {"text": ...} for a text answer;
 * caller decrefs); any other answer an error carrying the route's message
 * (VT_E_NOTFOUND for 404, VT_E_ARG otherwise).
 */
vt_status vf_call(json_t **result, vf_service *svc, const vt_http_req *caller, const char *method, const char *path,
                  const char *query, const char *body, vt_err *err);

#endif
