import math

import pytest
from pydantic import TypeAdapter, ValidationError

from crm.contacts.geo import (
    EARTH_RADIUS_M,
    CircleZone,
    Location,
    PolygonZone,
    SquareZone,
    Zone,
    check_point,
    haversine_m,
    validate_zone_for_location,
    zone_shape,
)

SITE = Location(lat=48.8566, lon=2.3522)  # Paris


def offset(origin: Location, north_m: float = 0.0, east_m: float = 0.0) -> Location:
    """The point `north_m` north and `east_m` east of origin (exact on the sphere for a pure north move)."""
    return Location(
        lat=origin.lat + math.degrees(north_m / EARTH_RADIUS_M),
        lon=origin.lon + math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(origin.lat)))),
    )


def square_ring(origin: Location, north_m: float, east_m: float, side_m: float) -> list[list[float]]:
    """Closed lon/lat ring of a square whose south-west corner is north_m/east_m from origin."""
    corners = [(0, 0), (0, side_m), (side_m, side_m), (side_m, 0), (0, 0)]
    points = [offset(origin, north_m + n, east_m + e) for n, e in corners]
    return [[p.lon, p.lat] for p in points]


def polygon_zone(*rings: list[list[float]]) -> PolygonZone:
    return PolygonZone(polygon={"type": "Polygon", "coordinates": list(rings)})


def error_text(excinfo: pytest.ExceptionInfo[ValidationError]) -> str:
    return " | ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in excinfo.value.errors())


def test_haversine_one_degree_of_latitude():
    assert haversine_m(Location(lat=0, lon=0), Location(lat=1, lon=0)) == pytest.approx(111_195, abs=1)


def test_circle_15_m_north_is_inside_and_25_m_is_outside():
    zone = CircleZone(radius_m=20)
    near = check_point(zone, SITE, offset(SITE, north_m=15), default_radius_m=100)
    assert near.inside
    assert near.distance_m == pytest.approx(15, abs=0.5)
    assert near.distance_to_zone_m == 0

    far = check_point(zone, SITE, offset(SITE, north_m=25), default_radius_m=100)
    assert not far.inside
    assert far.distance_m == pytest.approx(25, abs=0.5)
    assert far.distance_to_zone_m == pytest.approx(5, abs=0.1)


def test_circle_without_radius_uses_the_default():
    zone = CircleZone()
    point = offset(SITE, north_m=30)
    assert not check_point(zone, SITE, point, default_radius_m=20).inside
    assert check_point(zone, SITE, point, default_radius_m=50).inside


def test_circle_refuses_a_bad_default_radius():
    with pytest.raises(ValueError, match="default radius"):
        check_point(CircleZone(), SITE, SITE, default_radius_m=0)


@pytest.mark.parametrize("radius", [0, -5, 100_000])
def test_circle_radius_out_of_bounds_is_refused(radius: float):
    with pytest.raises(ValidationError) as excinfo:
        CircleZone(radius_m=radius)
    assert excinfo.value.errors()[0]["loc"] == ("radius_m",)


def test_zone_union_is_discriminated_on_kind():
    adapter = TypeAdapter(Zone)
    assert isinstance(adapter.validate_python({"kind": "square", "side_m": 50}), SquareZone)
    with pytest.raises(ValidationError) as excinfo:
        adapter.validate_python({"kind": "circle", "radius_m": 100_000})
    assert excinfo.value.errors()[0]["loc"] == ("circle", "radius_m")


def test_square_corners():
    zone = SquareZone(side_m=100)  # corners 50 m north/south and east/west of the site
    assert check_point(zone, SITE, offset(SITE, north_m=49, east_m=49), 20).inside
    assert check_point(zone, SITE, offset(SITE, north_m=-49, east_m=-49), 20).inside
    # Beyond the north-east corner by 5 m north and 5 m east: √50 ≈ 7.1 m from the square.
    corner = check_point(zone, SITE, offset(SITE, north_m=55, east_m=55), 20)
    assert not corner.inside
    assert corner.distance_to_zone_m == pytest.approx(7.1, abs=0.1)
    assert corner.distance_m == pytest.approx(55 * math.sqrt(2), abs=0.5)


@pytest.mark.parametrize("side", [0, 10_001])
def test_square_side_out_of_bounds_is_refused(side: float):
    with pytest.raises(ValidationError):
        SquareZone(side_m=side)


def test_near_latitude_60_east_west_metres_use_cos_latitude():
    # At 60° N a degree of longitude is half as long as at the equator; a projection that forgot
    # cos φ would put a point 15 m east at 30 m and call it outside.
    site = Location(lat=60.17, lon=24.94)  # Helsinki
    circle = CircleZone(radius_m=20)
    east_15 = check_point(circle, site, offset(site, east_m=15), 20)
    assert east_15.inside
    assert east_15.distance_m == pytest.approx(15, abs=0.5)
    assert not check_point(circle, site, offset(site, east_m=25), 20).inside

    square = SquareZone(side_m=40)
    assert check_point(square, site, offset(site, east_m=19), 20).inside
    west_21 = check_point(square, site, offset(site, east_m=-21), 20)
    assert not west_21.inside
    assert west_21.distance_to_zone_m == pytest.approx(1, abs=0.1)


def test_polygon_inside_outside_and_distance_to_zone():
    # 200 m square whose south-west corner is 100 m north and 100 m east of the site.
    zone = polygon_zone(square_ring(SITE, 100, 100, 200))
    inside = check_point(zone, SITE, offset(SITE, north_m=200, east_m=200), 20)
    assert inside.inside
    assert inside.distance_to_zone_m == 0

    at_site = check_point(zone, SITE, SITE, 20)
    assert not at_site.inside
    assert at_site.distance_m == 0
    assert at_site.distance_to_zone_m == pytest.approx(100 * math.sqrt(2), abs=0.5)

    south = check_point(zone, SITE, offset(SITE, north_m=60, east_m=200), 20)
    assert south.distance_to_zone_m == pytest.approx(40, abs=0.5)


def test_polygon_hole_is_outside():
    zone = polygon_zone(square_ring(SITE, -100, -100, 200), square_ring(SITE, -20, -20, 40))
    assert not check_point(zone, SITE, SITE, 20).inside
    assert check_point(zone, SITE, offset(SITE, north_m=50), 20).inside
    assert zone_shape(zone, SITE, 20).area == pytest.approx(200 * 200 - 40 * 40, rel=0.01)


def test_polygon_is_stored_as_plain_floats():
    ring = [[2, 48], [2.001, 48], [2, 48.001], [2, 48]]
    zone = PolygonZone.model_validate({"kind": "polygon", "polygon": {"type": "Polygon", "coordinates": [ring]}})
    assert zone.polygon["coordinates"][0][1] == [2.001, 48.0]


def test_bow_tie_is_refused_as_self_intersecting():
    lon, lat = SITE.lon, SITE.lat
    d = 0.001
    bow_tie = [[lon, lat], [lon + d, lat + d], [lon + d, lat], [lon, lat + d], [lon, lat]]
    with pytest.raises(ValidationError) as excinfo:
        polygon_zone(bow_tie)
    assert "Self-intersection" in error_text(excinfo)
    assert excinfo.value.errors()[0]["loc"] == ("polygon",)


def test_unclosed_ring_is_refused():
    ring = [*square_ring(SITE, 0, 0, 100)[:-1], [SITE.lon + 0.0001, SITE.lat]]
    with pytest.raises(ValidationError, match="ring 0 is not closed"):
        polygon_zone(ring)


def test_too_few_positions_is_refused():
    ring = [[2.0, 48.0], [2.001, 48.0], [2.0, 48.0]]
    with pytest.raises(ValidationError, match="at least 4 positions"):
        polygon_zone(ring)


def test_out_of_range_position_is_refused():
    ring = [[2.0, 48.0], [200.0, 48.0], [2.0, 48.001], [2.0, 48.0]]
    with pytest.raises(ValidationError, match=r"ring 0 position 1 \[200, 48\] is out of range"):
        polygon_zone(ring)


def test_not_a_geojson_polygon_is_refused():
    with pytest.raises(ValidationError, match="must be a GeoJSON Polygon"):
        PolygonZone(polygon={"type": "Point", "coordinates": [2.0, 48.0]})


def circle_ring(origin: Location, radius_m: float, vertices: int) -> list[list[float]]:
    angles = [2 * math.pi * i / vertices for i in range(vertices)]
    points = [offset(origin, radius_m * math.cos(a), radius_m * math.sin(a)) for a in angles]
    ring = [[p.lon, p.lat] for p in points]
    return [*ring, ring[0]]


def test_at_most_500_vertices():
    assert polygon_zone(circle_ring(SITE, 100, 500))
    with pytest.raises(ValidationError, match="polygon has 501 vertices; at most 500"):
        polygon_zone(circle_ring(SITE, 100, 501))


def test_30_km2_polygon_is_refused():
    side = math.sqrt(30e6)  # ≈ 5.48 km, diagonal 7.7 km: only the area is over the limit
    with pytest.raises(ValidationError, match=r"polygon covers 30 km²; at most 25 km²"):
        polygon_zone(square_ring(SITE, 0, 0, side))


def test_polygon_wider_than_10_km_is_refused():
    west, east = offset(SITE, east_m=-5_500), offset(SITE, east_m=5_500)
    north = offset(SITE, north_m=50).lat
    ring = [[west.lon, SITE.lat], [east.lon, SITE.lat], [east.lon, north], [west.lon, north], [west.lon, SITE.lat]]
    with pytest.raises(ValidationError, match=r"polygon spans 11 km; at most 10 km"):
        polygon_zone(ring)


def test_polygon_far_from_its_site_is_refused():
    zone = polygon_zone(square_ring(SITE, 20_000, 0, 100))
    with pytest.raises(ValueError, match=r"polygon is 20 km from the site location; it must be within 10 km"):
        validate_zone_for_location(zone, SITE)
    validate_zone_for_location(polygon_zone(square_ring(SITE, 5_000, 0, 100)), SITE)
    validate_zone_for_location(CircleZone(radius_m=5_000), SITE)


def test_polygon_across_the_antimeridian():
    site = Location(lat=-16.5, lon=179.9995)  # Fiji
    east = site.lon + math.degrees(100 / (EARTH_RADIUS_M * math.cos(math.radians(site.lat)))) - 360
    ring = [[179.999, -16.501], [east, -16.501], [east, -16.499], [179.999, -16.499], [179.999, -16.501]]
    zone = polygon_zone(ring)
    assert zone_shape(zone, site, 20).area < 50_000
    assert check_point(zone, site, site, 20).inside
