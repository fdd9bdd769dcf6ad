"""Enforcement cases (案件): party, stages 立案 → 调查取证 → 告知 → 决定 → 执行 → 结案, orders to correct,
re-inspection tasks, fiscal deductions (000§五(二)) and one timeline."""
