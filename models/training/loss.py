"""FCOS-style assignment with centre sampling and scale ranges, IoU-aware classification (quality focal loss)
and GIoU box loss."""
import torch
import torch.nn.functional as F

# Largest box-distance each level (strides 8, 16, 32) is responsible for, in input pixels.
RANGES = ((0.0, 48.0), (48.0, 96.0), (96.0, 1e8))
CENTER_RADIUS = 2.5


def box_iou_pairs(a, b):
    """IoU and GIoU of matching rows of [M,4] x1y1x2y2 boxes."""
    lt = torch.max(a[:, :2], b[:, :2])
    rb = torch.min(a[:, 2:], b[:, 2:])
    inter = (rb - lt).clamp(min=0).prod(1)
    area_a = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(1)
    area_b = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(1)
    union = area_a + area_b - inter + 1e-7
    iou = inter / union
    enc_lt = torch.min(a[:, :2], b[:, :2])
    enc_rb = torch.max(a[:, 2:], b[:, 2:])
    enc = (enc_rb - enc_lt).clamp(min=0).prod(1) + 1e-7
    return iou, iou - (enc - union) / enc


def assign(points, strides, level_index, gt):
    """For one image: index of the assigned ground truth per point (-1 = background).

    gt: [k,5] class,x1,y1,x2,y2. A point is positive for a box when it lies inside the box and within
    CENTER_RADIUS strides of its centre, and the box's largest distance from the point fits the point's level.
    Ambiguous points take the smallest box. A box left without any point gets its nearest stride-8 point."""
    n = points.shape[0]
    k = gt.shape[0]
    if k == 0:
        return torch.full((n,), -1, dtype=torch.long)
    x, y = points[:, 0:1], points[:, 1:2]
    x1, y1, x2, y2 = gt[:, 1], gt[:, 2], gt[:, 3], gt[:, 4]
    l, t, r, b = x - x1, y - y1, x2 - x, y2 - y
    inside = torch.stack([l, t, r, b], -1).min(-1).values > 0
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    radius = strides[:, None] * CENTER_RADIUS
    center = ((x - cx).abs() < radius) & ((y - cy).abs() < radius)
    reach = torch.stack([l, t, r, b], -1).max(-1).values
    lo = torch.tensor([RANGES[i][0] for i in range(3)])[level_index][:, None]
    hi = torch.tensor([RANGES[i][1] for i in range(3)])[level_index][:, None]
    fits = (reach >= lo) & (reach <= hi)
    ok = inside & center & fits
    area = ((x2 - x1) * (y2 - y1))[None, :].expand(n, k).clone()
    area[~ok] = float("inf")
    best_area, best = area.min(1)
    assigned = torch.where(torch.isinf(best_area), torch.full_like(best, -1), best)
    # Tiny boxes can fall between grid points: give each unassigned box its nearest finest-level point.
    covered = torch.zeros(k, dtype=torch.bool)
    covered[assigned[assigned >= 0]] = True
    fine = (level_index == 0).nonzero().squeeze(1)
    for j in (~covered).nonzero().squeeze(1).tolist():
        d = (points[fine, 0] - cx[j]) ** 2 + (points[fine, 1] - cy[j]) ** 2
        p = fine[d.argmin()]
        if assigned[p] < 0:
            assigned[p] = j
    return assigned


def detection_loss(logits, dist, points, strides, level_index, targets):
    """logits [B,N,nc], dist [B,N,4] (l,t,r,b pixels); targets: list of [k,5] tensors. Returns (loss, cls, box)."""
    batch, n, nc = logits.shape
    cls_target = torch.zeros_like(logits)
    pred_boxes, gt_boxes, weights = [], [], []
    pos_rows = []
    for i in range(batch):
        gt = targets[i]
        assigned = assign(points, strides, level_index, gt)
        pos = (assigned >= 0).nonzero().squeeze(1)
        if pos.numel() == 0:
            continue
        g = gt[assigned[pos]]
        p = points[pos]
        d = dist[i, pos]
        pb = torch.cat([p - d[:, :2], p + d[:, 2:]], 1)
        gb = g[:, 1:5]
        iou, _ = box_iou_pairs(pb.detach(), gb)
        cls_target[i, pos, g[:, 0].long()] = iou.clamp(min=0.01)
        pred_boxes.append(pb)
        gt_boxes.append(gb)
        weights.append(iou.clamp(min=0.1))
        pos_rows.append(pos.numel())
    num_pos = max(1.0, float(sum(pos_rows)))
    prob = logits.sigmoid()
    # Quality focal loss: BCE against the IoU target, scaled by |target - p|^2.
    qfl = F.binary_cross_entropy_with_logits(logits, cls_target, reduction="none") * (cls_target - prob).abs().pow(2)
    cls_loss = qfl.sum() / num_pos
    if pred_boxes:
        pb = torch.cat(pred_boxes)
        gb = torch.cat(gt_boxes)
        w = torch.cat(weights)
        _, giou = box_iou_pairs(pb, gb)
        box_loss = ((1 - giou) * w).sum() / w.sum().clamp(min=1e-6)
    else:
        box_loss = dist.sum() * 0
    return cls_loss + 2.0 * box_loss, cls_loss.detach(), box_loss.detach()
