/* Internal: an auditor report as a JSON tree (report.c) for its text form
 * (vt_audit_report_json), and the phase names and order that the receipt's own
 * writer (receipt.c, which writes the report without a tree) shares. */
#ifndef VT_AUDIT_REPORT_TREE_H
#define VT_AUDIT_REPORT_TREE_H

#include <jansson.h>

#include "veritee/audit.h"

/* The four phases in their order (artifact, request, execution, response): the order of every list of
 * phase names in a report or receipt. */
extern const vt_audit_phase vt__audit_phase_order[4];
/* The phases in bits as a JSON array of names, in phase order; NULL when out of memory. */
json_t *vt__audit_phase_list(unsigned bits);
/* {"verdict", "auditors": [...], "coverage": {"audited", "failed", "unaudited"}}; a new
 * reference, NULL when out of memory. */
json_t *vt__audit_report_tree(const vt_audit_report *r);

#endif
