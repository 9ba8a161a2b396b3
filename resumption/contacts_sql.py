"""The SQL of `resumption.selectors.contacts_of`: a plain module (no Django imports) so
that bench/attendance_contacts.py times the very same query over 10 million rows."""

CONTACTS_SQL = """
    SELECT b.employee_id, e.name, COUNT(*) AS shared, MAX(b.day) AS last_day
    FROM {attendance} a
    JOIN {attendance} b
      ON b.site_id = a.site_id AND b.day = a.day AND b.shift = a.shift
    JOIN {employees} e ON e.id = b.employee_id
    WHERE a.employee_id = %s AND a.enterprise_id = %s AND a.day >= %s
      AND a.status IN (%s, %s) AND b.status IN (%s, %s)
      AND b.employee_id <> a.employee_id AND b.enterprise_id = %s
    GROUP BY b.employee_id, e.name
    ORDER BY shared DESC, last_day DESC, b.employee_id
"""
